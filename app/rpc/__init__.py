"""Seed 002's PaymentService as Connect-style JSON RPC for merchant systems."""
