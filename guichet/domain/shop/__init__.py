"""The online shop (catalogue, carts, checkout) and the orders of both portals."""
