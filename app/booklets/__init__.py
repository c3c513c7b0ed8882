"""Printed booklets: a physical product with stock, shipping and seed 003's flow."""
