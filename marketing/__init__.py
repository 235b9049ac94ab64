"""Marketing hub: Meta Ads spend, attribution, ROI/CPA and WhatsApp template automations (not built yet)."""
