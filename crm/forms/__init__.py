"""CRM forms by area: `leads` (list filters, bulk actions, the lead form), `imports` (CSV upload), `board`
(board filters, moves), `detail` (the lead page's stage, seller, note, call and document forms), `stages`
(stage settings). `common` holds what they share."""
