"""The clock process: scheduled jobs."""
