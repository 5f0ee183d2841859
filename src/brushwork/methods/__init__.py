"""Style-transfer methods: each turns content and style images into a stylised image and returns its numbers."""
