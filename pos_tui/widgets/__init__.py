"""Small widgets shared by the till's screens."""
