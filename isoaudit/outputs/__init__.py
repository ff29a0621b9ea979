"""Output layer: workbooks, HTML and Word documents written from computed frames."""
