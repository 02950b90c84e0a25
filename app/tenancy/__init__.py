"""Organizations and members: registration, member management, the organization switcher."""
