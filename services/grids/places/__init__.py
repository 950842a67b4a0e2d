"""Places: streets, communities and grids, their boundaries, and locating a point in a grid."""
