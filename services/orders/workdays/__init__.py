"""A street's working calendar (工作日历): the national workdays, the street's own days, its working hours and
the limits of its own clocks (吹哨报到, the hotline's sign-for)."""
