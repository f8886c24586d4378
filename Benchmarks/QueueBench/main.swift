print("queue-bench")
