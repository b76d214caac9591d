"""Schedules: scenes or actions at times of day, their next runs and history."""
