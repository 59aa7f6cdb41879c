"""Tests of visitation.cohort."""
