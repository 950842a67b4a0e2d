"""Activities (一月一主题), their sign-ups and check-ins."""
