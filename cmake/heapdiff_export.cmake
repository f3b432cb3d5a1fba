# heapdiff_export(TARGET [HEADERS_IN SUBDIR]): puts TARGET into the heapdiffTargets export set
# of the analyzer package (heapdiffConfig.cmake.in), with the headers of its public include
# directories. One rule for every analyzer library and the command, called after the target's
# own target_include_directories, so those lines stay as they are.
#
# Only in a build that is not pip's (SKBUILD): a wheel carries the probe and the command, never
# the analyzer's headers and static libraries.
function(heapdiff_export target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "HEADERS_IN" "")
  if(DEFINED SKBUILD)
    return()
  endif()
  include(GNUInstallDirs)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    install(TARGETS ${target} EXPORT heapdiffTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    return()
  endif()
  set(include_dest ${CMAKE_INSTALL_INCLUDEDIR})
  if(arg_HEADERS_IN)
    set(include_dest ${CMAKE_INSTALL_INCLUDEDIR}/${arg_HEADERS_IN})
  endif()
  # A build-tree include directory cannot be exported as it is (CMake refuses paths inside the
  # source or build tree): it stays for this build, the installed copy serves importers.
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(wrapped "")
  foreach(dir IN LISTS dirs)
    if(dir MATCHES "^\\$<")
      list(APPEND wrapped "${dir}")
    else()
      list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
      install(DIRECTORY ${dir}/ DESTINATION ${include_dest} FILES_MATCHING PATTERN "*.h")
    endif()
  endforeach()
  list(APPEND wrapped "$<INSTALL_INTERFACE:${include_dest}>")
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wrapped}")
  install(TARGETS ${target} EXPORT heapdiffTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()
