"""The deterministic synthetic demo dataset of DESIGN section 9."""
