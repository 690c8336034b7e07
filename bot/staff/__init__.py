"""Dashboard staff: accounts, roles, passwords and the sign-in throttle."""
