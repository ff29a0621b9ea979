"""Statistical attribute sampling of dossiers: sample sizes (``sizes``), selecting the sample
(``selection``) and evaluating the checked sample (``evaluation``)."""
