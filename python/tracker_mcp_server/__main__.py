from tracker_mcp_server import main

main()
