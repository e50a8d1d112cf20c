"""Access control: who may do which action on which module, in which organisation and scope."""
