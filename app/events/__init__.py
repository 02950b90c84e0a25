"""The event company (SPEC §8): contracts with their payments, and events with their support."""
