"""When digests go out: subscriptions and their local-time schedules (``subscriptions``,
``local_schedule``) and the scheduler that fires them and catches up after downtime
(``scheduler``)."""
