"""Losses as pure functions on tensors: ``perceptual`` (content, Gram, mean/std, TV) and ``adversarial``."""
