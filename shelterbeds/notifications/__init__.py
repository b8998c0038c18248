"""SMS: outbox, message templates and senders (the only place that imports twilio)."""
