variable "region" {
  description = "AWS region for the queues (the Learner Lab uses us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "credentials_file" {
  description = "AWS credentials file, e.g. the Learner Lab's 'AWS Details' pasted into ./credentials."
  type        = string
  default     = "./credentials"
}

variable "dead_letter_queues" {
  description = "Give each practical queue a dead-letter queue that receives messages after max_receive_count failed receives."
  type        = bool
  default     = false
}

variable "max_receive_count" {
  description = "Receives before a message moves to its dead-letter queue (only with dead_letter_queues)."
  type        = number
  default     = 5
}

variable "sns_fanout" {
  description = "Create SNS topics that deliver each published message to the practical queue and a second subscriber queue (a standard topic and a FIFO topic)."
  type        = bool
  default     = false
}
