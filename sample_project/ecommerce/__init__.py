"""A small e-commerce data platform: raw data, a clean layer with checks, and marts."""
