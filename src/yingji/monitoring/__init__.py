"""Real-time monitoring (监测预警): sensors, readings over MQTT, rules and alarms."""
