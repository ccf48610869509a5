"""Importers turn saved histories (Slack exports, Teams Graph JSON, FAQ CSV) into knowledge events."""
