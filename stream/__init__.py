"""vigil's I/O layer: the Faust worker, Kafka and Redis sinks, the replay driver, the CLI."""
