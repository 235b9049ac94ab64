"""CRM forms by area: `leads` (list filters, bulk actions, the lead form), `imports` (CSV upload), `board`
(board filters, moves), `detail` (the lead page's stage, seller, note, call and document forms), `stages`
(stage settings), `documents` (the sales document pages: filters, header, lines, payments, settings),
`products` (product form, search, CSV upload). `common` holds what they share."""
