"""Click commands, one module per area; aibt.cli registers them."""
