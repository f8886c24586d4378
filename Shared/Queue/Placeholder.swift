// The queue library; see Queue.swift.
