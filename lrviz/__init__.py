"""lrviz: see, measure and explain learning-rate schedules."""
