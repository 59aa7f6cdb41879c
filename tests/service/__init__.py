"""Tests of visitation.service (the CDS Hooks service)."""
