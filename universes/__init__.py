"""universes."""
