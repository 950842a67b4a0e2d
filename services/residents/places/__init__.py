"""The places residents live in: compounds (小区), their buildings and the households of a building."""
