"""Early warnings (预警): issuing, exchanging and tracking warnings (突发事件应对法 第63–70条)."""
