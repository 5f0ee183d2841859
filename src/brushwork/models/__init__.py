"""Networks as plain ``nn.Module``s that take explicit arguments."""
