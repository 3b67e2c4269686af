mod mime;
