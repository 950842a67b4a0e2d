"""Skills trainings (技能培训): enrolment, the waiting list, attendance and completion."""
