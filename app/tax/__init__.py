"""Tax: who sells (seller keys), how each seller is taxed, and the arithmetic."""
