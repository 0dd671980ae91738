# redkit_embed_scripts(OUT file...) writes a C++ source that holds every Lua script's name
# (its path under scripts/ without .lua), source and SHA-1, for src/script.cpp's registry.
# The generated file is rebuilt whenever a script changes.
function(redkit_embed_scripts out)
  set(deps ${ARGN})
  string(REPLACE ";" "|" files "${deps}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${PROJECT_SOURCE_DIR}/scripts
            "-DFILES=${files}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_scripts_run.cmake
    DEPENDS ${deps} ${PROJECT_SOURCE_DIR}/cmake/embed_scripts_run.cmake
    COMMENT "Embedding Lua scripts"
    VERBATIM)
endfunction()
