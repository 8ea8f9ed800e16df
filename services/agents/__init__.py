"""Specialist agents: small local models plus rules, one service each."""
