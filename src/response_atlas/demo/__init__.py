"""Synthetic demo county: Hamilton County areas (real names and facts), calls, zones and contacts."""
