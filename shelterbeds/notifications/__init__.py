"""SMS notifications: the outbox, message templates, senders and request-event entry points.

`twilio` is imported only in `twilio_sender.py`; everything else talks to a `SmsSender`.
"""
