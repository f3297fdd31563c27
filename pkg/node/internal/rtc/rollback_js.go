package rtc

const canRollback = true
