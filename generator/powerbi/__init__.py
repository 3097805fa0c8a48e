"""Power BI outputs generated from the validated model: the TOM-shaped semantic model and its
serialisations (TMDL/PBIP, model.bim, .pbit), plus the measure catalogue page."""
