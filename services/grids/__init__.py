"""The grids service: places (street → community → grid), the roster, party organisation, visits."""
