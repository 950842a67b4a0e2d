"""Red property (红色物业): compounds' property, committees and joint meetings."""
