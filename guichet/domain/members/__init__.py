"""Members administration: invitations, access changes, disablement (ACCESS.md rules 3-5, 9)."""
