"""Training data: unpaired image folders and the generated-image history pool."""
