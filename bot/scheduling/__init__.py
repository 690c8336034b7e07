"""When things happen: APScheduler jobs, durable timers, and the paced outbox dispatcher."""
