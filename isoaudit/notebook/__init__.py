"""What the notebooks import: the interactive audit form and the helpers that show a review section."""
